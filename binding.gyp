{
  "targets": [
    {
      "target_name": "emperor_native",
      "sources": ["native/emperor-native.c", "native/spawn.c", "native/spawn-job.c", "native/spawn-child.c", "native/rest-timer.c", "native/pipe-reader.c", "native/notify-socket.c", "native/fs-creds.c", "native/malloc-trim.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
