/** onnxruntime-node, loaded after its environment is set (every module uses ORT through here). */
import './no-telemetry.js';
import ort from 'onnxruntime-node';

export default ort;
