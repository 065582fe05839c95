{
  "variables": {
    "turbokafka_linkage%": "<!(node scripts/find-librdkafka.js --linkage)"
  },
  "targets": [
    {
      "target_name": "turbokafka",
      "sources": ["<!@(node -p \"require('./native/build.json').sources.join(' ')\")"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-librdkafka.js --cflags)"
      ],
      "libraries": ["<!@(node scripts/find-librdkafka.js --libs)"],
      "defines": [
        "<!@(node -p \"require('./native/build.json').defines.join(' ')\")",
        "TURBOKAFKA_FINGERPRINT=<!(node scripts/fingerprint.js)"
      ],
      "conditions": [
        ["turbokafka_linkage=='static'", {
          "sources": ["<!@(node -p \"require('./native/build.json').staticSources.join(' ')\")"],
          "defines": ["TURBOKAFKA_STATIC"]
        }]
      ],
      "ldflags": ["<!@(node -p \"require('./native/build.json').ldflags.map((f) => f.replace('=native/', '=' + process.cwd() + '/native/')).join(' ')\")"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["<!@(node -p \"require('./native/build.json').cxxflags.join(' ')\")"]
    }
  ]
}
