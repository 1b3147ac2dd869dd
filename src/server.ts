#!/usr/bin/env node
/** `npm start`: configuration from the environment, then serve. */
import { loadConfig } from './config/config.js';
import { failStartup, runServer } from './serve.js';

try {
  await runServer(loadConfig());
} catch (err) {
  failStartup(err);
}
