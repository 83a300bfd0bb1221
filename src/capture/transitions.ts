/**
 * Capture inference may only move an endpoint along RFC 9293's state changes: anything else is reported as an
 * anomaly instead of being applied. The table is the one beside the states (src/states/transitions.ts).
 */
export { isRfcMove, isRfcTransition } from '../states/transitions.ts';
