{
  "variables": {
    "turbokafka_linkage%": "<!(node scripts/find-librdkafka.js --linkage)"
  },
  "targets": [
    {
      "target_name": "turbokafka",
      "sources": [
        "native/addon.cc",
        "native/config.cc",
        "native/consumer.cc",
        "native/errors.cc",
        "native/mock_cluster.cc",
        "native/partitions.cc",
        "native/producer.cc",
        "native/producer_core.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-librdkafka.js --cflags)"
      ],
      "libraries": ["<!@(node scripts/find-librdkafka.js --libs)"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "TURBOKAFKA_FINGERPRINT=<!(node scripts/fingerprint.js)"
      ],
      "conditions": [
        ["turbokafka_linkage=='static'", {
          "sources": ["native/sasl_shim.cc"],
          "defines": ["TURBOKAFKA_STATIC"]
        }]
      ],
      "ldflags": ["-Wl,-z,nodelete", "-Wl,--version-script=<(module_root_dir)/native/exports.map"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-ignored-qualifiers"]
    }
  ]
}
