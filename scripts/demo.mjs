#!/usr/bin/env node
// The demo: every action through the run-action harness against the emulator. The actions arrive with their
// issues; until then it says so and exits 0.
process.stdout.write('Demo: not yet. The runtime and the harness are in place; the demo runs the actions against the emulator once they exist.\n');
