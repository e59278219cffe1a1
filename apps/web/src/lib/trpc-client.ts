/**
 * The portal's tRPC client for the browser: it talks to this origin's /trpc proxy (never to the API
 * directly, so CSP connect-src stays 'self') and knows the API only by its router TYPE.
 */
import { createTRPCClient, httpBatchLink, type TRPCClient } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@signet/api";

/** React bindings: the provider, the query-options proxy and the raw client hook. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** The client type explorer code is written against. */
export type SignetTrpcClient = TRPCClient<AppRouter>;

/** A client for `${base}/trpc` (base defaults to this origin). */
export function createSignetTrpcClient(base = ""): SignetTrpcClient {
  return createTRPCClient<AppRouter>({
    // Batched GETs: one round trip for the explorer's first queries; long batches fall back to several.
    links: [httpBatchLink({ url: `${base}/trpc`, maxURLLength: 8000 })],
  });
}
