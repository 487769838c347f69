output "load_balancer_dns_name" {
  description = "DNS name of the NLB (null in GWLB mode)."
  value       = var.use_gateway_load_balancer ? null : aws_lb.sensors.dns_name
}

output "load_balancer_arn" {
  value = aws_lb.sensors.arn
}

output "gateway_endpoint_id" {
  description = "The GWLB endpoint (GWLB mode)."
  value       = var.use_gateway_load_balancer ? aws_vpc_endpoint.gwlb[0].id : null
}

output "traffic_mirror_target_id" {
  value = aws_ec2_traffic_mirror_target.sensors.id
}

output "traffic_mirror_filter_id" {
  value = aws_ec2_traffic_mirror_filter.all.id
}

output "autoscaling_group_name" {
  value = aws_autoscaling_group.sensors.name
}
