-- CreateTable
CREATE TABLE "logs" (
    "id" SERIAL NOT NULL,
    "origin" TEXT NOT NULL,
    "tree_size" BIGINT NOT NULL DEFAULT 0,
    "root_hash" BYTEA NOT NULL,
    "checkpoint_note" TEXT,
    "version" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "log_entries" (
    "log_id" INTEGER NOT NULL,
    "index" BIGINT NOT NULL,
    "leaf_hash" BYTEA NOT NULL,
    "body" BYTEA NOT NULL,
    "kind" TEXT NOT NULL,
    "api_version" TEXT NOT NULL,
    "integrated_time" BIGINT NOT NULL,
    "artifact_digest" TEXT,
    "identity" TEXT,
    "issuer" TEXT,
    "cert_fingerprint" TEXT,

    CONSTRAINT "log_entries_pkey" PRIMARY KEY ("log_id","index")
);

-- CreateTable
CREATE TABLE "log_tiles" (
    "log_id" INTEGER NOT NULL,
    "level" INTEGER NOT NULL,
    "index" BIGINT NOT NULL,
    "width" INTEGER NOT NULL,
    "hashes" BYTEA NOT NULL,

    CONSTRAINT "log_tiles_pkey" PRIMARY KEY ("log_id","level","index")
);

-- CreateTable
CREATE TABLE "checkpoints" (
    "log_id" INTEGER NOT NULL,
    "size" BIGINT NOT NULL,
    "root_hash" BYTEA NOT NULL,
    "note" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("log_id","size")
);

-- CreateTable
CREATE TABLE "issued_certificates" (
    "id" BIGSERIAL NOT NULL,
    "serial" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "der" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "issued_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "logs_origin_key" ON "logs"("origin");

-- CreateIndex
CREATE INDEX "log_entries_log_id_artifact_digest_index_idx" ON "log_entries"("log_id", "artifact_digest", "index");

-- CreateIndex
CREATE INDEX "log_entries_log_id_identity_index_idx" ON "log_entries"("log_id", "identity", "index");

-- CreateIndex
CREATE INDEX "log_entries_log_id_issuer_index_idx" ON "log_entries"("log_id", "issuer", "index");

-- CreateIndex
CREATE INDEX "log_entries_log_id_cert_fingerprint_index_idx" ON "log_entries"("log_id", "cert_fingerprint", "index");

-- CreateIndex
CREATE UNIQUE INDEX "log_entries_log_id_leaf_hash_key" ON "log_entries"("log_id", "leaf_hash");

-- CreateIndex
CREATE UNIQUE INDEX "issued_certificates_serial_key" ON "issued_certificates"("serial");

-- CreateIndex
CREATE UNIQUE INDEX "issued_certificates_fingerprint_key" ON "issued_certificates"("fingerprint");

-- CreateIndex
CREATE INDEX "issued_certificates_identity_created_at_idx" ON "issued_certificates"("identity", "created_at");

-- AddForeignKey
ALTER TABLE "log_entries" ADD CONSTRAINT "log_entries_log_id_fkey" FOREIGN KEY ("log_id") REFERENCES "logs"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "log_tiles" ADD CONSTRAINT "log_tiles_log_id_fkey" FOREIGN KEY ("log_id") REFERENCES "logs"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_log_id_fkey" FOREIGN KEY ("log_id") REFERENCES "logs"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;
