//! ECR: the repository (scan on push, lifecycle) through the ECR API, and the
//! image through the registry API (`distribution`), from an archive, a layout
//! or, with a Docker engine, a build (`docker`).

pub mod distribution;
pub mod docker;
pub mod image;
pub mod repository;
pub mod undo;
