-- Identity prefix search (explorer: "identity starts with …") needs a byte-wise index whatever the
-- database collation. Prisma's schema language cannot express a B-tree operator class without
-- reporting drift, and it ignores partial indexes, so this one is written by hand (prisma/README.md).
CREATE INDEX "log_entries_identity_prefix_idx" ON "log_entries" ("log_id", "identity" text_pattern_ops) WHERE "identity" IS NOT NULL;
