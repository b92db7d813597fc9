// Where the API is and how people sign in: read at start from `config.json` beside the page.
// Locally there is none (the gateway serves the console on the API's own origin, in dev auth);
// in the cloud, Terraform writes it from the Firebase web app's config (infra/modules/console).

export interface FirebaseWebConfig {
  apiKey: string;
  authDomain: string;
  projectId: string;
  appId?: string;
}

export interface ConsoleConfig {
  /** Origin of the public API; "" = this page's origin. */
  apiUrl: string;
  auth: "dev" | "firebase";
  firebase?: FirebaseWebConfig;
  /** Identity Platform tenant users sign in to (multi-tenancy), if any. */
  tenantId?: string | null;
}

export const LOCAL_CONFIG: ConsoleConfig = { apiUrl: "", auth: "dev" };

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<ConsoleConfig> {
  const response = await fetchImpl("./config.json", { cache: "no-store" });
  if (response.status === 404) return LOCAL_CONFIG;
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const config = (await response.json()) as Partial<ConsoleConfig>;
  if (config.auth === "firebase" && !config.firebase?.apiKey) {
    throw new Error("config.json: firebase sign-in needs firebase.apiKey");
  }
  return { ...LOCAL_CONFIG, ...config };
}
