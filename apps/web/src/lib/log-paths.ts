/**
 * Same-origin paths the explorer reads the log through (served by src/app/api/[...path], proxied
 * to the API). Kept in a plain module so server and client components share the one spelling.
 */

/** The log's latest signed checkpoint as a C2SP signed note (tlog-tiles `checkpoint`). */
export const CHECKPOINT_PATH = "/api/v2/checkpoint";
