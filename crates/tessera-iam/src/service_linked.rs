//! The service-linked roles AWS services create: per service principal,
//! the role name, the AWS-managed policy attached to it, and whether a
//! `CustomSuffix` is allowed. Taken from answers recorded against real AWS
//! (`CreateServiceLinkedRole` followed by `GetRole` and
//! `ListAttachedRolePolicies`).

/// One service that has a service-linked role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedService {
    /// The service principal, e.g. `batch.amazonaws.com`.
    pub service: &'static str,
    /// The role name, e.g. `AWSServiceRoleForBatch`.
    pub role_name: &'static str,
    /// The name of the AWS-managed policy under `/aws-service-role/`.
    pub policy_name: &'static str,
    /// Whether `CustomSuffix` may be given.
    pub custom_suffix: bool,
}

/// Every known service, sorted by service principal.
pub const SERVICES: &[LinkedService] = &[
    LinkedService {
        service: "accountdiscovery.ssm.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonSSM_AccountDiscovery",
        policy_name: "AWSSystemsManagerAccountDiscoveryServicePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "acm.amazonaws.com",
        role_name: "AWSServiceRoleForCertificateManager",
        policy_name: "CertificateManagerServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "appmesh.amazonaws.com",
        role_name: "AWSServiceRoleForAppMesh",
        policy_name: "AWSAppMeshServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "autoscaling-plans.amazonaws.com",
        role_name: "AWSServiceRoleForAutoScalingPlans_EC2AutoScaling",
        policy_name: "AWSAutoScalingPlansEC2AutoScalingPolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "autoscaling.amazonaws.com",
        role_name: "AWSServiceRoleForAutoScaling",
        policy_name: "AutoScalingServiceRolePolicy",
        custom_suffix: true,
    },
    LinkedService {
        service: "backup.amazonaws.com",
        role_name: "AWSServiceRoleForBackup",
        policy_name: "AWSBackupServiceLinkedRolePolicyForBackup",
        custom_suffix: false,
    },
    LinkedService {
        service: "batch.amazonaws.com",
        role_name: "AWSServiceRoleForBatch",
        policy_name: "BatchServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "cassandra.application-autoscaling.amazonaws.com",
        role_name: "AWSServiceRoleForApplicationAutoScaling_CassandraTable",
        policy_name: "AWSApplicationAutoscalingCassandraTablePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "cks.kms.amazonaws.com",
        role_name: "AWSServiceRoleForKeyManagementServiceCustomKeyStores",
        policy_name: "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "cloudtrail.amazonaws.com",
        role_name: "AWSServiceRoleForCloudTrail",
        policy_name: "CloudTrailServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "codestar-notifications.amazonaws.com",
        role_name: "AWSServiceRoleForCodeStarNotifications",
        policy_name: "AWSCodeStarNotificationsServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "config.amazonaws.com",
        role_name: "AWSServiceRoleForConfig",
        policy_name: "AWSConfigServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "connect.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonConnect",
        policy_name: "AmazonConnectServiceLinkedRolePolicy",
        custom_suffix: true,
    },
    LinkedService {
        service: "dms-fleet-advisor.amazonaws.com",
        role_name: "AWSServiceRoleForDMSFleetAdvisor",
        policy_name: "AWSDMSFleetAdvisorServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "dms.amazonaws.com",
        role_name: "AWSServiceRoleForDMSServerless",
        policy_name: "AWSDMSServerlessServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "docdb-elastic.amazonaws.com",
        role_name: "AWSServiceRoleForDocDB-Elastic",
        policy_name: "AmazonDocDB-ElasticServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ec2-instance-connect.amazonaws.com",
        role_name: "AWSServiceRoleForEc2InstanceConnect",
        policy_name: "Ec2InstanceConnectEndpoint",
        custom_suffix: false,
    },
    LinkedService {
        service: "ec2.application-autoscaling.amazonaws.com",
        role_name: "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
        policy_name: "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ecr.amazonaws.com",
        role_name: "AWSServiceRoleForECRTemplate",
        policy_name: "ECRTemplateServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ecs.amazonaws.com",
        role_name: "AWSServiceRoleForECS",
        policy_name: "AmazonECSServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "eks-connector.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonEKSConnector",
        policy_name: "AmazonEKSConnectorServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "eks-fargate.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonEKSForFargate",
        policy_name: "AmazonEKSForFargateServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "eks-nodegroup.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonEKSNodegroup",
        policy_name: "AWSServiceRoleForAmazonEKSNodegroup",
        custom_suffix: false,
    },
    LinkedService {
        service: "eks.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonEKS",
        policy_name: "AmazonEKSServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "elasticache.amazonaws.com",
        role_name: "AWSServiceRoleForElastiCache",
        policy_name: "ElastiCacheServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "elasticbeanstalk.amazonaws.com",
        role_name: "AWSServiceRoleForElasticBeanstalk",
        policy_name: "AWSElasticBeanstalkServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "elasticfilesystem.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonElasticFileSystem",
        policy_name: "AmazonElasticFileSystemServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "elasticloadbalancing.amazonaws.com",
        role_name: "AWSServiceRoleForElasticLoadBalancing",
        policy_name: "AWSElasticLoadBalancingServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "email.cognito-idp.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonCognitoIdpEmailService",
        policy_name: "AmazonCognitoIdpEmailServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "emr-containers.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonEMRContainers",
        policy_name: "AmazonEMRContainersServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "emrwal.amazonaws.com",
        role_name: "AWSServiceRoleForEMRWAL",
        policy_name: "EMRDescribeClusterPolicyForEMRWAL",
        custom_suffix: false,
    },
    LinkedService {
        service: "fis.amazonaws.com",
        role_name: "AWSServiceRoleForFIS",
        policy_name: "AmazonFISServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "grafana.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonGrafana",
        policy_name: "AmazonGrafanaServiceLinkedRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "imagebuilder.amazonaws.com",
        role_name: "AWSServiceRoleForImageBuilder",
        policy_name: "AWSServiceRoleForImageBuilder",
        custom_suffix: false,
    },
    LinkedService {
        service: "iotmanagedintegrations.amazonaws.com",
        role_name: "AWSServiceRoleForIoTManagedIntegrations",
        policy_name: "AWSIoTManagedIntegrationsRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "kafka.amazonaws.com",
        role_name: "AWSServiceRoleForKafka",
        policy_name: "KafkaServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "kafkaconnect.amazonaws.com",
        role_name: "AWSServiceRoleForKafkaConnect",
        policy_name: "KafkaConnectServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "lakeformation.amazonaws.com",
        role_name: "AWSServiceRoleForLakeFormationDataAccess",
        policy_name: "LakeFormationDataAccessServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "lex.amazonaws.com",
        role_name: "AWSServiceRoleForLexBots",
        policy_name: "AmazonLexBotPolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "lexv2.amazonaws.com",
        role_name: "AWSServiceRoleForLexV2Bots",
        policy_name: "AmazonLexV2BotPolicy",
        custom_suffix: true,
    },
    LinkedService {
        service: "lightsail.amazonaws.com",
        role_name: "AWSServiceRoleForLightsail",
        policy_name: "LightsailExportAccess",
        custom_suffix: false,
    },
    LinkedService {
        service: "m2.amazonaws.com",
        role_name: "AWSServiceRoleForAWSM2",
        policy_name: "AWSM2ServicePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "memorydb.amazonaws.com",
        role_name: "AWSServiceRoleForMemoryDB",
        policy_name: "MemoryDBServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "mq.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonMQ",
        policy_name: "AmazonMQServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "mrk.kms.amazonaws.com",
        role_name: "AWSServiceRoleForKeyManagementServiceMultiRegionKeys",
        policy_name: "AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "notifications.amazonaws.com",
        role_name: "AWSServiceRoleForAwsUserNotifications",
        policy_name: "AWSUserNotificationsServiceLinkedRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "observability.aoss.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonOpenSearchServerless",
        policy_name: "AmazonOpenSearchServerlessServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "opensearchservice.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonOpenSearchService",
        policy_name: "AmazonOpenSearchServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ops.apigateway.amazonaws.com",
        role_name: "AWSServiceRoleForAPIGateway",
        policy_name: "APIGatewayServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ops.emr-serverless.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonEMRServerless",
        policy_name: "AmazonEMRServerlessServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "opsdatasync.ssm.amazonaws.com",
        role_name: "AWSServiceRoleForSystemsManagerOpsDataSync",
        policy_name: "AWSSystemsManagerOpsDataSyncServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "opsinsights.ssm.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonSSM_OpsInsights",
        policy_name: "AWSSSMOpsInsightsServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "pullthroughcache.ecr.amazonaws.com",
        role_name: "AWSServiceRoleForECRPullThroughCache",
        policy_name: "AWSECRPullThroughCache_ServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ram.amazonaws.com",
        role_name: "AWSServiceRoleForResourceAccessManager",
        policy_name: "AWSResourceAccessManagerServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "rds.amazonaws.com",
        role_name: "AWSServiceRoleForRDS",
        policy_name: "AmazonRDSServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "redshift.amazonaws.com",
        role_name: "AWSServiceRoleForRedshift",
        policy_name: "AmazonRedshiftServiceLinkedRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "replication.cassandra.amazonaws.com",
        role_name: "AWSServiceRoleForKeyspacesReplication",
        policy_name: "KeyspacesReplicationServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "replication.ecr.amazonaws.com",
        role_name: "AWSServiceRoleForECRReplication",
        policy_name: "ECRReplicationServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "repository.sync.codeconnections.amazonaws.com",
        role_name: "AWSServiceRoleForGitSync",
        policy_name: "AWSGitSyncServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "resource-explorer-2.amazonaws.com",
        role_name: "AWSServiceRoleForResourceExplorer",
        policy_name: "AWSResourceExplorerServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "rolesanywhere.amazonaws.com",
        role_name: "AWSServiceRoleForRolesAnywhere",
        policy_name: "AWSRolesAnywhereServicePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "s3-outposts.amazonaws.com",
        role_name: "AWSServiceRoleForS3OnOutposts",
        policy_name: "AWSS3OnOutpostsServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ses.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonSES",
        policy_name: "AmazonSESServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "shield.amazonaws.com",
        role_name: "AWSServiceRoleForAWSShield",
        policy_name: "AWSShieldServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ssm-incidents.amazonaws.com",
        role_name: "AWSServiceRoleForIncidentManager",
        policy_name: "AWSIncidentManagerServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ssm-quicksetup.amazonaws.com",
        role_name: "AWSServiceRoleForSSMQuickSetup",
        policy_name: "SSMQuickSetupRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "ssm.amazonaws.com",
        role_name: "AWSServiceRoleForAmazonSSM",
        policy_name: "AmazonSSMServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "sso.amazonaws.com",
        role_name: "AWSServiceRoleForSSO",
        policy_name: "AWSSSOServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "vpcorigin.cloudfront.amazonaws.com",
        role_name: "AWSServiceRoleForCloudFrontVPCOrigin",
        policy_name: "AWSCloudFrontVPCOriginServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "waf.amazonaws.com",
        role_name: "AWSServiceRoleForWAFLogging",
        policy_name: "WAFLoggingServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "wafv2.amazonaws.com",
        role_name: "AWSServiceRoleForWAFV2Logging",
        policy_name: "WAFV2LoggingServiceRolePolicy",
        custom_suffix: false,
    },
];

/// The known service with principal `service`.
pub fn find(service: &str) -> Option<&'static LinkedService> {
    SERVICES.iter().find(|s| s.service == service)
}
