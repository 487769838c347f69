variable "name" {
  description = "Prefix of every resource name; also names the log groups (/mirrorids/NAME/...)."
  type        = string
  default     = "mirrorids"
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC: load balancer health checks (and GENEVE from a GWLB) come from it."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one per Availability Zone, for the load balancer and the sensors."
  type        = list(string)
}

variable "mirrored_cidrs" {
  description = "Addresses of the mirrored ENIs: the only senders of UDP 4789 the sensors accept (NLB mode; the NLB preserves them)."
  type        = list(string)
  default     = []
}

variable "use_gateway_load_balancer" {
  description = "Put the sensors behind a Gateway Load Balancer (GENEVE, UDP 6081; the mirror target is a GWLB endpoint) instead of an internal NLB (UDP 4789). The sensor config must then listen on 0.0.0.0:6081."
  type        = bool
  default     = false
}

variable "gwlb_endpoint_subnet_id" {
  description = "Subnet of the GWLB endpoint (GWLB mode); defaults to the first of subnet_ids."
  type        = string
  default     = null
}

variable "architecture" {
  description = "arm64 (Graviton, Vectorscan) or amd64 (x86-64, Hyperscan)."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "amd64"], var.architecture)
    error_message = "architecture is arm64 or amd64."
  }
}

variable "instance_type" {
  description = "Sensor instance type; null picks c7gn.xlarge (arm64) or c6in.xlarge (amd64)."
  type        = string
  default     = null
}

variable "min_size" {
  type    = number
  default = 2
}

variable "max_size" {
  type    = number
  default = 4
}

variable "desired_capacity" {
  type    = number
  default = 2
}

variable "artifact_bucket" {
  description = "S3 bucket holding the package, the configuration and the rules."
  type        = string
}

variable "package_key" {
  description = "Key of the mirrorids .deb (cargo deb output) for the chosen architecture."
  type        = string
  default     = "mirrorids/mirrorids_arm64.deb"
}

variable "config_prefix" {
  description = "Key prefix (ending in /) holding mirrorids.yaml, rules/, cloudwatch-agent.json and prometheus.yaml."
  type        = string
  default     = "mirrorids/config/"
  validation {
    condition     = endswith(var.config_prefix, "/")
    error_message = "config_prefix ends in /."
  }
}

variable "config_parameter" {
  description = "Optional SSM parameter name (starting with /) whose value is mirrorids.yaml; it overrides the one in S3."
  type        = string
  default     = ""
}

variable "config_refresh_interval" {
  description = "systemd time span between configuration and rule fetches."
  type        = string
  default     = "15min"
}

variable "health_port" {
  description = "Port of control.health_listen (GET /health) in the sensor configuration."
  type        = number
  default     = 9751
}

variable "enable_cloudwatch_agent" {
  type    = bool
  default = true
}

variable "log_retention_days" {
  type    = number
  default = 365
}

variable "mirror_direction" {
  description = "Traffic the filter accepts: both, ingress or egress."
  type        = string
  default     = "both"
  validation {
    condition     = contains(["both", "ingress", "egress"], var.mirror_direction)
    error_message = "mirror_direction is both, ingress or egress."
  }
}

variable "mirror_ipv6" {
  type    = bool
  default = true
}

variable "packet_length" {
  description = "Bytes mirrored per packet after the VXLAN header (1-8500); null mirrors whole packets."
  type        = number
  default     = null
}

variable "sessions" {
  description = "Mirror sessions: source ENI id => VXLAN network id (null lets AWS pick one)."
  type        = map(number)
  default     = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}
