//! EC2 networking for the service: the subnets (the default VPC's unless
//! given) and the security groups of the tasks and of the load balancer.

pub mod network;
pub mod undo;
