import test from "ava";
import { join } from "node:path";
import { loadFixtures, replay } from "../harness/fixtures.ts";
import { createTenant } from "../harness/scim_client.ts";
import { startTestStack, type TestStack } from "../harness/stack.ts";

// One stack for the file; each fixture gets a tenant of its own, so they run side by side.
const fixtures = await loadFixtures(join(import.meta.dirname, "..", "fixtures"));
let stack: TestStack;

test.before(async () => {
  stack = await startTestStack();
});
test.after.always(async () => {
  await stack?.[Symbol.asyncDispose]();
});

for (const fixture of fixtures) {
  test(`${fixture.file}: ${fixture.description}`, async (t) => {
    const tenant = await createTenant(stack.services.identityAddress, fixture.file);
    await replay(t, fixture, stack.scimUrl, tenant.token);
  });
}
