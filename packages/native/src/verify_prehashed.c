/*
 * Prehashed signature verification for the log's write path.
 *
 * A hashedrekord entry carries only the artifact's digest, so the log must verify the signature over
 * a digest it did not compute. Node's crypto.verify always hashes its input (null means SHA-256 for
 * EC keys) and WebCrypto cannot take a digest either; a pure-JS P-256 verify runs near 460/s per core.
 * This calls OpenSSL's verification primitives against the OpenSSL that Node itself links (symbols
 * resolve against the node binary).
 *
 * verifyPrehashed(spkiDer: Uint8Array, digest: Uint8Array, signature: Uint8Array, mdName: string)
 *   -> true | false; throws TypeError on bad arguments. mdName names the digest (sha256, sha384,
 *   sha512) so RSA PKCS#1 v1.5 gets the right DigestInfo; ECDSA only checks the digest length
 *   against it. Ed25519 is not prehashable and is rejected here (the caller handles it).
 *
 * Fast path: an SPKI that is byte-for-byte the canonical DER of a named-curve key (P-256, P-384,
 * P-521) with an uncompressed point is recognised by its fixed prefix, and the point is loaded into a
 * per-thread EC_KEY on a curve group built once (EC_KEY_oct2key, which refuses points off the curve
 * or with coordinates outside the field). ECDSA_verify then parses the signature as strict DER and
 * verifies (SEC 1 §4.1.4). This skips OpenSSL 3's decoder and provider fetches (d2i_PUBKEY,
 * EVP_PKEY_CTX_new), which cost about two thirds of each call. Every other key (RSA, or any
 * encoding the fixed prefixes do not match) takes the generic EVP path, as before.
 * The EC_KEY functions are deprecated in OpenSSL 3.0 but remain exported by Node's OpenSSL.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call) do { if ((call) != napi_ok) return NULL; } while (0)

/* The canonical SubjectPublicKeyInfo DER (RFC 5480 §2) of each named curve up to the point. */
typedef struct {
  int nid;
  const unsigned char *prefix;
  size_t prefix_len;
  size_t point_len; /* 04 || X || Y */
} curve_spki;

static const unsigned char P256_PREFIX[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                            0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const unsigned char P384_PREFIX[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                            0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
static const unsigned char P521_PREFIX[] = {0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                            0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00};

#define CURVE_COUNT 3
static const curve_spki CURVES[CURVE_COUNT] = {
    {NID_X9_62_prime256v1, P256_PREFIX, sizeof P256_PREFIX, 65},
    {NID_secp384r1, P384_PREFIX, sizeof P384_PREFIX, 97},
    {NID_secp521r1, P521_PREFIX, sizeof P521_PREFIX, 133},
};

/*
 * Per-environment (so per-thread) EC_KEY per curve, reused across calls: building the group from its
 * name on every call would cost about as much as the verification itself. Only the public point
 * changes between calls, and each call runs to completion on its own thread.
 */
typedef struct {
  EC_KEY *keys[CURVE_COUNT];
} instance_state;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance_state *st = data;
  for (int i = 0; i < CURVE_COUNT; i++) EC_KEY_free(st->keys[i]);
  free(st);
}

static int get_bytes(napi_env env, napi_value v, const unsigned char **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  size_t length;
  void *buf;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &buf, &ab, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (const unsigned char *)buf;
  *len = length;
  return 1;
}

/* Index into CURVES when `spki` is exactly a canonical named-curve SPKI with an uncompressed point, else -1. */
static int match_curve(const unsigned char *spki, size_t spki_len) {
  for (int i = 0; i < CURVE_COUNT; i++) {
    const curve_spki *c = &CURVES[i];
    if (spki_len == c->prefix_len + c->point_len && memcmp(spki, c->prefix, c->prefix_len) == 0 &&
        spki[c->prefix_len] == 0x04) {
      return i;
    }
  }
  return -1;
}

/* 1 when the DER ECDSA signature verifies over the digest for the point, 0 otherwise (SEC 1 §4.1.4). */
static int verify_ec_fast(instance_state *st, int curve, const unsigned char *point, const unsigned char *digest,
                          size_t digest_len, const unsigned char *sig, size_t sig_len) {
  if (st->keys[curve] == NULL) {
    st->keys[curve] = EC_KEY_new_by_curve_name(CURVES[curve].nid);
    if (st->keys[curve] == NULL) return 0;
  }
  EC_KEY *key = st->keys[curve];
  /* oct2point rejects coordinates >= p and points that do not satisfy the curve equation. */
  if (EC_KEY_oct2key(key, point, CURVES[curve].point_len, NULL) != 1) return 0;
  if (sig_len > 0x7fffffff) return 0;
  /* ECDSA_verify parses strictly: it re-encodes the parsed signature and refuses any difference. */
  return ECDSA_verify(0, digest, (int)digest_len, sig, (int)sig_len, key) == 1;
}

static int verify_evp(const unsigned char *spki, size_t spki_len, const char *md_name, const unsigned char *digest,
                      size_t digest_len, const unsigned char *sig, size_t sig_len) {
  int ok = 0;
  const unsigned char *p = spki;
  EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)spki_len);
  /* Trailing bytes after the SPKI are a malformed key, not something to ignore. */
  if (pkey != NULL && p == spki + spki_len) {
    int id = EVP_PKEY_get_base_id(pkey);
    const EVP_MD *md = EVP_get_digestbyname(md_name);
    if ((id == EVP_PKEY_EC || id == EVP_PKEY_RSA) && md != NULL && (size_t)EVP_MD_get_size(md) == digest_len) {
      EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
      if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
          (id != EVP_PKEY_RSA || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1)) {
        ok = EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) == 1;
      }
      EVP_PKEY_CTX_free(ctx);
    }
  }
  EVP_PKEY_free(pkey);
  return ok;
}

/* The digest size of the names the JS side may pass, or 0 for any other name. */
static size_t md_size(const char *md_name) {
  if (strcmp(md_name, "sha256") == 0) return 32;
  if (strcmp(md_name, "sha384") == 0) return 48;
  if (strcmp(md_name, "sha512") == 0) return 64;
  return 0;
}

static napi_value verify_prehashed(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const unsigned char *spki, *digest, *sig;
  size_t spki_len, digest_len, sig_len;
  char md_name[16] = {0};
  size_t md_len = 0;
  if (argc < 4 || !get_bytes(env, argv[0], &spki, &spki_len) || !get_bytes(env, argv[1], &digest, &digest_len) ||
      !get_bytes(env, argv[2], &sig, &sig_len) ||
      napi_get_value_string_utf8(env, argv[3], md_name, sizeof md_name, &md_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "verifyPrehashed(spki, digest, signature, mdName) takes three Uint8Arrays and a string");
    return NULL;
  }
  instance_state *st = NULL;
  CHECK(napi_get_instance_data(env, (void **)&st));
  int ok = 0;
  int curve = match_curve(spki, spki_len);
  if (curve >= 0 && st != NULL) {
    size_t want = md_size(md_name);
    ok = want != 0 && want == digest_len &&
         verify_ec_fast(st, curve, spki + CURVES[curve].prefix_len, digest, digest_len, sig, sig_len);
  } else {
    ok = verify_evp(spki, spki_len, md_name, digest, digest_len, sig, sig_len);
  }
  napi_value result;
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  instance_state *st = calloc(1, sizeof *st);
  if (st == NULL || napi_set_instance_data(env, st, free_state, NULL) != napi_ok) {
    free(st);
    napi_throw_error(env, NULL, "signet_native: cannot allocate per-thread state");
    return NULL;
  }
  napi_value fn;
  CHECK(napi_create_function(env, "verifyPrehashed", NAPI_AUTO_LENGTH, verify_prehashed, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "verifyPrehashed", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
