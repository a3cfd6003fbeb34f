"""The chaos suite: many releases with signed approvals while the operator and the control
plane are killed and restarted; then the invariants are checked (docs/reliability.md)."""
