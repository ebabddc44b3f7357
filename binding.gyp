{
  "targets": [
    {
      "target_name": "emperor_native",
      "sources": ["native/emperor-native.c", "native/spawn.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
