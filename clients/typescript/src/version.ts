/**
 * Versions and the compatibility rule (clients/README.md): a client generated from API
 * `M.m` talks to every server whose API is `M.n` with `n >= m`. tests/unit/client/test_versions.py
 * checks that these constants match package.json and infra/api/openapi.yaml.
 */

export const CLIENT_VERSION = "1.0.0";

/** `info.version` of the OpenAPI document `src/schema.ts` was generated from. */
export const API_VERSION = "1.0.0";

function majorMinor(version: string): [number, number] {
  const [major = "", minor = ""] = (version.split("-", 1)[0] ?? "").split(".");
  return [Number.parseInt(major, 10), Number.parseInt(minor, 10)];
}

/** Whether a client generated from `clientApiVersion` can talk to a server whose API is `serverApiVersion`. */
export function isCompatible(serverApiVersion: string, clientApiVersion: string = API_VERSION): boolean {
  const [serverMajor, serverMinor] = majorMinor(serverApiVersion);
  const [clientMajor, clientMinor] = majorMinor(clientApiVersion);
  return serverMajor === clientMajor && serverMinor >= clientMinor;
}
