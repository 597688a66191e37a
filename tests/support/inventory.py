"""What an emulated account holds, per service, listed with boto3 (an
independent client): `inventory.py URL` prints one JSON object. With
`--run CODE`, runs CODE first with `clients` (a function of a service name)
in scope: how a test plants what preflight did not make."""

import json
import sys

import boto3

url = sys.argv[1]


def clients(service):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


if len(sys.argv) > 3 and sys.argv[2] == "--run":
    exec(sys.argv[3], {"clients": clients})

iam, ecr, sm, ssm, ecs, logs, ec2, elb = (clients(s) for s in (
    "iam", "ecr", "secretsmanager", "ssm", "ecs", "logs", "ec2", "elbv2"))
clusters = [c["clusterName"] for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]
            if c["status"] == "ACTIVE"]
services = []
for c in clusters:
    arns = ecs.list_services(cluster=c)["serviceArns"]
    if arns:
        services += [f"{c}/{s['serviceName']}" for s in ecs.describe_services(cluster=c, services=arns)["services"]
                     if s["status"] != "INACTIVE"]
out = {
    "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
    "policies": sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]),
    "oidc_providers": sorted(p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]),
    "repositories": sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"]),
    "secrets": sorted(s["Name"] for s in sm.list_secrets()["SecretList"] if "DeletedDate" not in s),
    "secrets_deleting": {s["Name"]: s["DeletedDate"].isoformat() for s in
                         sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] if "DeletedDate" in s},
    "parameters": sorted(p["Name"] for p in ssm.describe_parameters()["Parameters"]),
    "clusters": sorted(clusters),
    "services": sorted(services),
    "task_definitions": sorted(ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]),
    "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
    "security_groups": sorted(g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                              if g["GroupName"] != "default"),
    "load_balancers": sorted(lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]),
    "target_groups": sorted(tg["TargetGroupName"] for tg in elb.describe_target_groups()["TargetGroups"]),
}


def tag_map(tags, key="Key", value="Value"):
    return {t[key]: t[value] for t in tags or []}


# preflight's tags on what it made (what the account itself says of it).
tags = {}
for r in iam.list_roles()["Roles"]:
    tags[f"role {r['RoleName']}"] = tag_map(iam.list_role_tags(RoleName=r["RoleName"])["Tags"])
for p in iam.list_policies(Scope="Local")["Policies"]:
    tags[f"policy {p['PolicyName']}"] = tag_map(iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"])
for r in ecr.describe_repositories()["repositories"]:
    tags[f"repository {r['repositoryName']}"] = tag_map(ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"])
for s in sm.list_secrets()["SecretList"]:
    tags[f"secret {s['Name']}"] = tag_map(s.get("Tags"))
for c in ecs.describe_clusters(clusters=clusters, include=["TAGS"])["clusters"]:
    tags[f"cluster {c['clusterName']}"] = tag_map(c.get("tags"), "key", "value")
for g in logs.describe_log_groups()["logGroups"]:
    tags[f"log group {g['logGroupName']}"] = logs.list_tags_log_group(logGroupName=g["logGroupName"])["tags"]
for g in ec2.describe_security_groups()["SecurityGroups"]:
    if g["GroupName"] != "default":
        tags[f"security group {g['GroupName']}"] = tag_map(g.get("Tags"))
for lb in elb.describe_load_balancers()["LoadBalancers"]:
    found = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    tags[f"load balancer {lb['LoadBalancerName']}"] = tag_map(found[0]["Tags"] if found else [])
out["tags"] = tags
print(json.dumps(out))
