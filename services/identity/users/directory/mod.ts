/**
 * The user directory: the tenant's users in list order as pages of full records, maintained from
 * identity's own user events, so an unfiltered SCIM list page is a few document reads at any size.
 */
export { createDirectory, directoryIndexes, type Directory, type UserDirChange } from "./store.ts";
export { directoryProjector } from "./projector.ts";
