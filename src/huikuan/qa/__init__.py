"""Conversation QA: call transcripts stored with their screening flags, the scorecard, the weekly sample,
reviews with coaching notes, and the calibration of two scorers. Above the workbench: it reads calls
(cases.Interaction) and recordings (workbench.CallRecording); the team page shows its weekly scores through
the workbench's team-panel hook."""
