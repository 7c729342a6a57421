//! OUCH 4.2 (placeholder).
