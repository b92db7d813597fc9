// The console's only way to the product: the public API through the TypeScript client of
// clients/typescript (imported as source, so Vite bundles exactly what the console uses).
// The names below are the few wire types the pages spell out.

import type { AnalyticsQuery, Schemas } from "../../clients/typescript/src/index";

export * from "../../clients/typescript/src/index";

export type SessionStatus = Schemas["SessionStatus"];
export type FeatureState = Schemas["FeatureState"];
export type Granularity = NonNullable<AnalyticsQuery["granularity"]>;
export type Scope = NonNullable<AnalyticsQuery["scope"]>;
