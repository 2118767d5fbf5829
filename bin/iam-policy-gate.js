#!/usr/bin/env node
// The CLI from a clone: the committed bundle, so `npx iam-policy-gate` needs no build step.
import '../dist/cli.js';
