import { freePort, startServices, type RunningServices } from "../../deploy/local/stack.ts";
import { startMongo, startNats, uniqueDbName, type TestServer } from "./servers.ts";

/** The three services as processes against fresh MongoDB-compatible and NATS servers. */
export interface TestStack extends AsyncDisposable {
  readonly gatewayUrl: string;
  readonly scimUrl: string;
  readonly mongo: TestServer;
  readonly nats: TestServer;
  readonly dbName: string;
  readonly services: RunningServices;
  /** Lines the services printed, newest last (for assertions on logs and for failure output). */
  readonly output: string[];
}

/** Starts a whole stack for one test file; `await using` stops everything afterwards. */
export async function startTestStack(
  options: { env?: NodeJS.ProcessEnv; nats?: Parameters<typeof startNats>[0]; replicas?: number } = {},
): Promise<TestStack> {
  const [mongo, nats] = await Promise.all([startMongo(), startNats(options.nats)]);
  const output: string[] = [];
  const dbName = uniqueDbName("e2e");
  try {
    const [gatewayPort, identityPort, teamsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const services = await startServices({
      mongoUrl: mongo.url,
      natsUrl: nats.url,
      mongoDb: dbName,
      gatewayPort,
      identityPort,
      teamsPort,
      extraReplicas:
        options.replicas && options.replicas > 1
          ? {
              identityPorts: await Promise.all(
                Array.from({ length: options.replicas - 1 }, () => freePort()),
              ),
              teamsPorts: await Promise.all(Array.from({ length: options.replicas - 1 }, () => freePort())),
            }
          : undefined,
      env: { LOG_LEVEL: "info", ...options.env },
      onLine: (name, line) => {
        output.push(`[${name}] ${line}`);
        if (process.env["MOODPOLL_TEST_LOGS"]) console.log(`[${name}] ${line}`);
      },
    });
    return {
      gatewayUrl: services.gatewayUrl,
      scimUrl: `${services.gatewayUrl}/scim/v2`,
      mongo,
      nats,
      dbName,
      services,
      output,
      async [Symbol.asyncDispose]() {
        await services.stop();
        await Promise.all([mongo[Symbol.asyncDispose](), nats[Symbol.asyncDispose]()]);
      },
    };
  } catch (error) {
    await Promise.all([mongo[Symbol.asyncDispose](), nats[Symbol.asyncDispose]()]);
    throw new Error(`The test stack did not start:\n${output.slice(-30).join("\n")}`, { cause: error });
  }
}
