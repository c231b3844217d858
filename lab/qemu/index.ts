// Public API of the qemu board (the virtual DAYU200); the lab orchestrator calls only these.
export { ensureQemuArtefacts, type QemuArtefacts } from './artefacts.ts';
export {
  GUEST_DOCKER_TCP_PORT,
  qemuBoardDown,
  qemuBoardStatus,
  qemuBoardUp,
  type QemuStatus,
  type QemuUpContext,
  type QemuUpResult,
} from './board.ts';
export { QEMU_DEFECTS } from './guest-defects.ts';
