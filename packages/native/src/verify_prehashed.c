/*
 * Prehashed signature verification for the log's write path.
 *
 * A hashedrekord entry carries only the artifact's digest, so the log must verify the signature over
 * a digest it did not compute. Node's crypto.verify always hashes its input (null means SHA-256 for
 * EC keys) and WebCrypto cannot take a digest either; a pure-JS P-256 verify runs near 460/s per core.
 * This calls OpenSSL's EVP_PKEY_verify, the primitive that verifies a signature over a given digest,
 * against the OpenSSL that Node itself links (symbols resolve against the node binary).
 *
 * verifyPrehashed(spkiDer: Uint8Array, digest: Uint8Array, signature: Uint8Array, mdName: string)
 *   -> true | false; throws TypeError on bad arguments. mdName names the digest (sha256, sha384,
 *   sha512) so RSA PKCS#1 v1.5 gets the right DigestInfo; ECDSA ignores it. Ed25519 is not
 *   prehashable and is rejected here (the caller handles it).
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/rsa.h>
#include <string.h>

#define CHECK(call) do { if ((call) != napi_ok) return NULL; } while (0)

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
  napi_value result;
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(napi_create_function(env, "verifyPrehashed", NAPI_AUTO_LENGTH, verify_prehashed, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "verifyPrehashed", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
