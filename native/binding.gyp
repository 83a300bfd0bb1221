{
  "targets": [
    {
      "target_name": "tcpstate_sockdiag",
      "sources": ["sock_diag.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
