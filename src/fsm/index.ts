/** The TCP state machine: a pure RFC 9293 engine, stack profiles, sequence arithmetic and segment classification. */
export { classifySegment, type SegmentEffect } from './classify.ts';
export { DEFAULT_WINDOW, isAcceptable, newTcb, RFC_NAME, rowId, segLen, step } from './engine.ts';
export { getProfile, PROFILE_NAMES, PROFILES, type Profile, type ProfileName } from './profiles.ts';
export { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './seq.ts';
export type {
  AbortError,
  CallError,
  CloseError,
  ConnectionError,
  Flags,
  OpenError,
  ReceiveError,
  Segment,
  SendError,
  StatusError,
  StepResult,
  Tcb,
  TcpEvent,
  TimerName,
  Timers,
  UserCall,
} from './types.ts';
export { ERROR_TEXT, TIMER_NAMES } from './types.ts';
