import { toHex } from "@signet/crypto/encoding/hex";
import type { VerifiedInclusionPath } from "../lib/inclusion-path.ts";
import { shortHex } from "../lib/format.ts";

const BOX_W = 132;
const BOX_H = 40;
const ROW_H = 66;
const PAD = 14;
const GAP = 28;
const LEFT_X = PAD;
const CENTER_X = LEFT_X + BOX_W + GAP;
const RIGHT_X = CENTER_X + BOX_W + GAP;
const WIDTH = RIGHT_X + BOX_W + PAD;

type BoxKind = "leaf" | "path" | "sibling" | "root";

function Box({ x, y, kind, caption, hash }: { x: number; y: number; kind: BoxKind; caption: string; hash: Uint8Array }) {
  const hex = toHex(hash);
  return (
    <g>
      <title>{`${caption}: ${hex}`}</title>
      <rect x={x} y={y} width={BOX_W} height={BOX_H} rx={7} className={`tree-box tree-box-${kind}`} />
      <text x={x + 8} y={y + 14} className="tree-caption">
        {caption}
      </text>
      <text x={x + 8} y={y + 31} className="tree-text">
        {shortHex(hex, 16)}
      </text>
    </g>
  );
}

/**
 * The path of a verified inclusion proof up the tree, drawn bottom-up: the leaf, at each step the
 * sibling hash joining from the left or the right, the node it produces, and the root at the top.
 * Attributes only (no inline styles): colours come from tools.css classes.
 */
export function InclusionPathSvg({ path }: { path: VerifiedInclusionPath }) {
  const n = path.steps.length;
  const height = PAD * 2 + n * ROW_H + BOX_H;
  const rowY = (row: number) => PAD + (n - row) * ROW_H;
  const nodeAt = (row: number): Uint8Array => (row === 0 ? path.leafHash : path.steps[row - 1]!.node);
  const label = `Inclusion proof of leaf ${path.index} in a tree of ${path.size} leaves: ${n} sibling hash${n === 1 ? "" : "es"} lead from the leaf to the root.`;
  return (
    <figure className="tree-figure">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={label}>
        {path.steps.map((step, i) => {
          const lowerY = rowY(i);
          const parentY = rowY(i + 1);
          const siblingX = step.side === "left" ? LEFT_X : RIGHT_X;
          return (
            <g key={`edge-${i}`}>
              <path className="tree-edge" d={`M ${CENTER_X + BOX_W / 2} ${lowerY} L ${CENTER_X + BOX_W / 2} ${parentY + BOX_H}`} />
              <path className="tree-edge" d={`M ${siblingX + BOX_W / 2} ${lowerY} L ${CENTER_X + BOX_W / 2} ${parentY + BOX_H}`} />
            </g>
          );
        })}
        {path.steps.map((step, i) => (
          <Box
            key={`sibling-${i}`}
            x={step.side === "left" ? LEFT_X : RIGHT_X}
            y={rowY(i)}
            kind="sibling"
            caption={`proof hash ${i + 1} (${step.side})`}
            hash={step.sibling}
          />
        ))}
        {Array.from({ length: n + 1 }, (_, row) => (
          <Box
            key={`node-${row}`}
            x={CENTER_X}
            y={rowY(row)}
            kind={row === n ? "root" : row === 0 ? "leaf" : "path"}
            caption={row === n ? "root ✓ (checkpoint)" : row === 0 ? `leaf ${path.index}` : `node ${row}`}
            hash={nodeAt(row)}
          />
        ))}
      </svg>
      <figcaption className="muted small">
        Read from the bottom: the leaf hash of this entry is combined with each proof hash, on the side shown, until the
        result equals the checkpoint&apos;s root hash. Hover a box for its full hash.
      </figcaption>
    </figure>
  );
}
