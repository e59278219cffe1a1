{
  "targets": [
    {
      "target_name": "signet_native",
      "sources": ["src/verify_prehashed.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
