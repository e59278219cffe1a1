/**
 * The verify page's Web Worker: streaming SHA-256 of the artifact, bundle inspection and
 * verifyBundle run here so a large file or a slow verification never blocks the page. Nothing in
 * here touches the network.
 */
import { inspectBundle } from "../lib/bundle-inspect.ts";
import { hashStream } from "../lib/hash-stream.ts";
import { runVerification } from "../lib/run-verification.ts";
import type { VerifyWorkerRequest, VerifyWorkerResponse } from "../lib/verify-worker-protocol.ts";

const scope = self as unknown as { postMessage(message: VerifyWorkerResponse): void; onmessage: ((event: MessageEvent<VerifyWorkerRequest>) => void) | null };

async function handle(request: VerifyWorkerRequest): Promise<VerifyWorkerResponse> {
  switch (request.type) {
    case "hash": {
      const { id, file } = request;
      const result = await hashStream(file.stream(), {
        total: file.size,
        onProgress: (p) => scope.postMessage({ id, type: "progress", bytes: p.bytes, total: p.total, elapsedMs: p.elapsedMs }),
      });
      return { id, type: "hashed", digest: result.digest, bytes: result.bytes, elapsedMs: result.elapsedMs };
    }
    case "inspect":
      return { id: request.id, type: "inspected", inspection: inspectBundle(request.bundleText) };
    case "verify": {
      const { id, type: _type, ...verification } = request;
      return { id, type: "verified", outcome: await runVerification(verification) };
    }
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  handle(request).then(
    (response) => scope.postMessage(response),
    (e: unknown) =>
      scope.postMessage({
        id: request.id,
        type: "error",
        code: typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "ERR_WEB_WORKER",
        message: e instanceof Error ? e.message : String(e),
      }),
  );
};
