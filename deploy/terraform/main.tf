# mirrorids sensor fleet as a VPC Traffic Mirroring target: an Auto Scaling
# group of Debian 12 sensors behind an internal NLB (VXLAN, UDP 4789) or,
# with use_gateway_load_balancer, a Gateway Load Balancer (GENEVE, UDP 6081)
# and its endpoint; the mirror target, filter and sessions.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  gwlb          = var.use_gateway_load_balancer
  instance_type = coalesce(var.instance_type, var.architecture == "arm64" ? "c7gn.xlarge" : "c6in.xlarge")
  region        = data.aws_region.current.name
  account       = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  log_prefix    = "/mirrorids/${var.name}"
  directions    = var.mirror_direction == "both" ? ["ingress", "egress"] : [var.mirror_direction]
  filter_rules = merge(
    { for d in local.directions : "${d}-v4" => { direction = d, cidr = "0.0.0.0/0", number = 100 } },
    var.mirror_ipv6 ? { for d in local.directions : "${d}-v6" => { direction = d, cidr = "::/0", number = 110 } } : {},
  )
}

# Debian's public SSM parameters always name the latest Debian 12 image.
data "aws_ssm_parameter" "debian" {
  name = "/aws/service/debian/release/12/latest/${var.architecture}"
}

# ---- Logs: EVE alerts and Prometheus samples shipped by the CloudWatch agent.

resource "aws_kms_key" "logs" {
  count               = var.enable_cloudwatch_agent ? 1 : 0
  description         = "Encrypts the mirrorids log groups (alerts carry payload excerpts)."
  enable_key_rotation = true
  # In a key policy "*" is this key; written inline (not as an IAM policy
  # document) because that is what it is.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsUses"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:${local.log_prefix}/*"
          }
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "sensor" {
  for_each          = var.enable_cloudwatch_agent ? toset(["eve", "prometheus"]) : toset([])
  name              = "${local.log_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs[0].arn
  tags              = var.tags
}

# ---- Instance permissions: read its own artifacts, write its own logs.

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "sensor" {
  statement {
    sid     = "ReadPackageAndConfig"
    actions = ["s3:GetObject"]
    resources = [
      "arn:${local.partition}:s3:::${var.artifact_bucket}/${var.package_key}",
      "arn:${local.partition}:s3:::${var.artifact_bucket}/${var.config_prefix}*",
    ]
  }
  statement {
    sid       = "ListConfigPrefix"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.artifact_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.config_prefix}*"]
    }
  }
  dynamic "statement" {
    for_each = var.config_parameter == "" ? [] : [var.config_parameter]
    content {
      sid       = "ReadConfigParameter"
      actions   = ["ssm:GetParameter"]
      resources = ["arn:${local.partition}:ssm:${local.region}:${local.account}:parameter${statement.value}"]
    }
  }
  dynamic "statement" {
    for_each = var.enable_cloudwatch_agent ? [1] : []
    content {
      sid       = "WriteOwnLogGroups"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      resources = flatten([for g in aws_cloudwatch_log_group.sensor : [g.arn, "${g.arn}:log-stream:*"]])
    }
  }
  dynamic "statement" {
    for_each = var.enable_cloudwatch_agent ? [1] : []
    content {
      sid     = "AgentMetrics"
      actions = ["cloudwatch:PutMetricData"]
      # PutMetricData has no resource type; the namespace condition bounds it.
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "cloudwatch:namespace"
        values   = ["CWAgent", "mirrorids"]
      }
    }
  }
}

resource "aws_iam_role" "sensor" {
  name_prefix        = "${var.name}-sensor-"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "sensor" {
  name   = "mirrorids-sensor"
  role   = aws_iam_role.sensor.id
  policy = data.aws_iam_policy_document.sensor.json
}

# Session Manager instead of SSH: the security group opens no admin port.
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.sensor.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "sensor" {
  name_prefix = "${var.name}-sensor-"
  role        = aws_iam_role.sensor.name
}

# ---- Network: tunnels only from the mirrored ENIs (NLB) or the GWLB,
# health checks from the VPC.

resource "aws_security_group" "sensor" {
  name_prefix = "${var.name}-sensor-"
  description = "mirrorids sensors - mirrored tunnels and load balancer health checks"
  vpc_id      = var.vpc_id
  tags        = var.tags

  dynamic "ingress" {
    for_each = local.gwlb ? [] : [1]
    content {
      description = "VXLAN from mirrored sources (the NLB preserves their addresses)"
      protocol    = "udp"
      from_port   = 4789
      to_port     = 4789
      cidr_blocks = var.mirrored_cidrs
    }
  }
  dynamic "ingress" {
    for_each = local.gwlb ? [1] : []
    content {
      description = "GENEVE from the Gateway Load Balancer"
      protocol    = "udp"
      from_port   = 6081
      to_port     = 6081
      cidr_blocks = [var.vpc_cidr]
    }
  }
  ingress {
    description = "Load balancer health checks (GET /health)"
    protocol    = "tcp"
    from_port   = var.health_port
    to_port     = var.health_port
    cidr_blocks = [var.vpc_cidr]
  }
  # S3, SSM, CloudWatch and the CloudWatch agent download are HTTPS.
  egress {
    description = "HTTPS to AWS APIs"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }
  # Debian's mirrors serve signed packages over plain HTTP.
  egress {
    description = "Debian package mirrors"
    protocol    = "tcp"
    from_port   = 80
    to_port     = 80
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# ---- Sensors

resource "aws_launch_template" "sensor" {
  name_prefix            = "${var.name}-sensor-"
  image_id               = data.aws_ssm_parameter.debian.value
  instance_type          = local.instance_type
  vpc_security_group_ids = [aws_security_group.sensor.id]
  ebs_optimized          = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.sensor.arn
  }
  monitoring {
    enabled = true
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 16
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }
  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-sensor" })
  }
  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    region           = local.region
    bucket           = var.artifact_bucket
    package_key      = var.package_key
    config_prefix    = var.config_prefix
    config_parameter = var.config_parameter
    refresh_interval = var.config_refresh_interval
    cloudwatch_agent = var.enable_cloudwatch_agent
    name             = var.name
  }))
}

resource "aws_autoscaling_group" "sensors" {
  name_prefix         = "${var.name}-sensors-"
  vpc_zone_identifier = var.subnet_ids
  min_size            = var.min_size
  max_size            = var.max_size
  desired_capacity    = var.desired_capacity
  target_group_arns   = [aws_lb_target_group.sensors.arn]
  # An instance whose /health fails (rules not loaded, stalled worker) is replaced.
  health_check_type         = "ELB"
  health_check_grace_period = 300

  launch_template {
    id      = aws_launch_template.sensor.id
    version = aws_launch_template.sensor.latest_version
  }
  dynamic "tag" {
    for_each = merge(var.tags, { Name = "${var.name}-sensor", application = "mirrorids" })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}

# ---- Load balancer: spreads tunnels by outer 5-tuple, i.e. by inner flow.

resource "aws_lb" "sensors" {
  #checkov:skip=CKV_AWS_91: NLB access logs cover TLS listeners only and a GWLB has none; the listener here is UDP or GENEVE.
  name_prefix                      = "mids-"
  load_balancer_type               = local.gwlb ? "gateway" : "network"
  internal                         = local.gwlb ? null : true
  subnets                          = var.subnet_ids
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = true
  tags                             = var.tags
}

resource "aws_lb_target_group" "sensors" {
  name_prefix = "mids-"
  vpc_id      = var.vpc_id
  protocol    = local.gwlb ? "GENEVE" : "UDP"
  port        = local.gwlb ? 6081 : 4789
  target_type = "instance"
  # SIGTERM turns /health to 503 while the sensor drains its queues.
  deregistration_delay = 30
  tags                 = var.tags

  health_check {
    protocol            = "HTTP"
    port                = var.health_port
    path                = "/health"
    interval            = 10
    healthy_threshold   = 3
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "sensors" {
  #checkov:skip=CKV_AWS_2: the listener carries VXLAN (UDP) or GENEVE; HTTPS does not apply.
  #checkov:skip=CKV_AWS_103: the listener carries VXLAN (UDP) or GENEVE; TLS does not apply.
  load_balancer_arn = aws_lb.sensors.arn
  protocol          = local.gwlb ? null : "UDP"
  port              = local.gwlb ? null : 4789
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.sensors.arn
  }
}

# GWLB mode: an endpoint service limited to this account and one endpoint,
# which is the mirror target.
resource "aws_vpc_endpoint_service" "gwlb" {
  #checkov:skip=CKV_AWS_123: the only consumer is this module's endpoint, created at once (manual acceptance would stall it); allowed_principals limits it to this account.
  count                      = local.gwlb ? 1 : 0
  acceptance_required        = false
  gateway_load_balancer_arns = [aws_lb.sensors.arn]
  allowed_principals         = ["arn:${local.partition}:iam::${local.account}:root"]
  tags                       = var.tags
}

resource "aws_vpc_endpoint" "gwlb" {
  count             = local.gwlb ? 1 : 0
  vpc_id            = var.vpc_id
  vpc_endpoint_type = "GatewayLoadBalancer"
  service_name      = aws_vpc_endpoint_service.gwlb[0].service_name
  subnet_ids        = [coalesce(var.gwlb_endpoint_subnet_id, var.subnet_ids[0])]
  tags              = var.tags
}

# ---- Traffic Mirroring

resource "aws_ec2_traffic_mirror_target" "sensors" {
  description                       = "${var.name} mirrorids sensors"
  network_load_balancer_arn         = local.gwlb ? null : aws_lb.sensors.arn
  gateway_load_balancer_endpoint_id = local.gwlb ? aws_vpc_endpoint.gwlb[0].id : null
  tags                              = var.tags
}

resource "aws_ec2_traffic_mirror_filter" "all" {
  description = "${var.name} all traffic (${var.mirror_direction})"
  tags        = var.tags
}

resource "aws_ec2_traffic_mirror_filter_rule" "all" {
  for_each                 = local.filter_rules
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.all.id
  traffic_direction        = each.value.direction
  rule_number              = each.value.number
  rule_action              = "accept"
  source_cidr_block        = each.value.cidr
  destination_cidr_block   = each.value.cidr
}

resource "aws_ec2_traffic_mirror_session" "sessions" {
  for_each                 = var.sessions
  network_interface_id     = each.key
  traffic_mirror_target_id = aws_ec2_traffic_mirror_target.sensors.id
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.all.id
  session_number           = 1
  virtual_network_id       = each.value
  packet_length            = var.packet_length
  tags                     = var.tags
}
