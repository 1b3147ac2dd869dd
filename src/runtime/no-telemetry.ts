// ONNX Runtime records telemetry (a device id and an sqlite database under ~/.cache/Microsoft, and
// /tmp/mat-debug-<pid>.log files) unless told not to. A server writes nothing it does not need (and
// runs on read-only filesystems), so it is off unless the operator sets the variable explicitly.
// Imported for its side effect, before onnxruntime-node loads (see ./onnxruntime.ts).
process.env.ORT_DISABLE_TELEMETRY ??= '1';
