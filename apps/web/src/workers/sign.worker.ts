/**
 * The /sign page's Web Worker: reads each file once, hashing it (WASM SHA-256) and, for files
 * signed directly, handing its bytes back as a transferred buffer. Keys and network stay in the page.
 */
import { readAndHash } from "../lib/read-and-hash.ts";
import type { SignWorkerRequest, SignWorkerResponse } from "../lib/sign-worker-protocol.ts";

const scope = self as unknown as {
  postMessage(message: SignWorkerResponse, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<SignWorkerRequest>) => void) | null;
};

scope.onmessage = (event) => {
  const { id, file, keepBytes } = event.data;
  readAndHash(file, {
    keepBytes,
    onProgress: (p) => scope.postMessage({ id, type: "progress", bytes: p.bytes, total: p.total, elapsedMs: p.elapsedMs }),
  }).then(
    (r) => {
      const content = r.content?.buffer;
      scope.postMessage({ id, type: "read", digest: r.digest, bytes: r.bytes, elapsedMs: r.elapsedMs, content }, content ? [content] : []);
    },
    (e: unknown) =>
      scope.postMessage({
        id,
        type: "error",
        code: typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "ERR_WEB_WORKER",
        message: e instanceof Error ? e.message : String(e),
      }),
  );
};
