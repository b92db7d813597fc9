// Who the console acts as. Locally: a dev identity picked by hand, sent as the bearer
// `dev:<tenant>:<user>[:admin]` that only the local stack's dev auth mode accepts. In the
// cloud: Firebase Authentication (Identity Platform), whose ID token the functions verify.

import type { ConsoleConfig } from "./config";

export interface Identity {
  /** Shown in the header. */
  label: string;
  /** Has the admin role (tenant analytics); undefined when only the API can tell. */
  admin?: boolean;
  token(): Promise<string>;
  signOut(): Promise<void>;
}

export interface DevChoice {
  tenant: string;
  user: string;
  admin: boolean;
}

const DEV_KEY = "hs.console.dev-identity";
// The parts of a dev token are separated by ':' and read by the functions as ids.
const DEV_PART = /^[A-Za-z0-9._@-]{1,128}$/;

export function devToken(choice: DevChoice): string {
  for (const [name, value] of [
    ["tenant", choice.tenant],
    ["user", choice.user],
  ]) {
    if (!DEV_PART.test(value)) {
      throw new Error(`${name}: letters, digits and . _ @ - only (1 to 128 characters)`);
    }
  }
  return `dev:${choice.tenant}:${choice.user}${choice.admin ? ":admin" : ""}`;
}

export function devIdentity(choice: DevChoice): Identity {
  const token = devToken(choice);
  return {
    label: `${choice.user} @ ${choice.tenant}${choice.admin ? " (admin)" : ""}`,
    admin: choice.admin,
    token: async () => token,
    signOut: async () => localStorage.removeItem(DEV_KEY),
  };
}

export function rememberDev(choice: DevChoice): Identity {
  const identity = devIdentity(choice);
  localStorage.setItem(DEV_KEY, JSON.stringify(choice));
  return identity;
}

export function rememberedDev(): Identity | null {
  const raw = localStorage.getItem(DEV_KEY);
  if (!raw) return null;
  try {
    return devIdentity(JSON.parse(raw) as DevChoice);
  } catch {
    localStorage.removeItem(DEV_KEY);
    return null;
  }
}

// --- Firebase Authentication ---------------------------------------------------------------

export interface FirebaseSignIn {
  current(): Promise<Identity | null>;
  withEmail(email: string, password: string): Promise<Identity>;
  withGoogle(): Promise<Identity>;
}

/** Firebase's SDK is loaded only in the cloud configuration, as a chunk of its own. */
export async function firebaseSignIn(config: ConsoleConfig): Promise<FirebaseSignIn> {
  if (!config.firebase) throw new Error("no Firebase web config");
  const { initializeApp } = await import("firebase/app");
  const auth = await import("firebase/auth");
  const app = initializeApp(config.firebase);
  const firebaseAuth = auth.getAuth(app);
  if (config.tenantId) firebaseAuth.tenantId = config.tenantId;
  await firebaseAuth.authStateReady();

  const identity = (user: import("firebase/auth").User): Identity => ({
    label: user.email ?? user.uid,
    // The SDK refreshes the hour-long ID token itself when it is close to expiry.
    token: () => user.getIdToken(),
    signOut: () => auth.signOut(firebaseAuth),
  });

  return {
    current: async () => (firebaseAuth.currentUser ? identity(firebaseAuth.currentUser) : null),
    withEmail: async (email, password) =>
      identity((await auth.signInWithEmailAndPassword(firebaseAuth, email, password)).user),
    withGoogle: async () =>
      identity((await auth.signInWithPopup(firebaseAuth, new auth.GoogleAuthProvider())).user),
  };
}
