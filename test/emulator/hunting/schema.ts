// The advanced hunting tables this emulator serves: names, columns, column order and Kusto types,
// copied from Microsoft's schema reference pages (MicrosoftDocs/defender-docs,
// defender-xdr/advanced-hunting-<table>-table.md, the "Column name | Data type" table of each page).
// Stored versions read: deviceinfo 0f230b8, deviceprocessevents 112ac77, devicenetworkevents 006b8a9,
// devicefileevents 006b8a9, devicelogonevents 1e9b83f, emailevents 006b8a9, emailurlinfo 12e2682,
// urlclickevents 006b8a9, identitylogonevents 24f7d04, alertinfo 006b8a9, alertevidence 10ed211.
// The docs write `boolean` and `bool` for the same Kusto type; both are `bool` here.
// Note the docs' own inconsistency that matters for `union`: ReportId is `long` in the Device* tables
// but `string` in the Email*, UrlClickEvents and Identity* tables (Kusto then names the union's
// columns ReportId_long and ReportId_string).

export type KustoType = 'string' | 'long' | 'int' | 'real' | 'bool' | 'datetime' | 'timespan' | 'dynamic';

export interface ColumnDef { name: string; type: KustoType }

/** Kusto type -> the type name Microsoft's hunting APIs put in a result's schema.
 * DateTime and String: the documented examples of runHuntingQuery (microsoft-graph-docs-contrib
 * api-reference/v1.0/api/security-security-runhuntingquery.md) and api-advanced-hunting.md.
 * The others follow the same .NET naming (System.Int64, System.Int32, ...); no Microsoft example of them
 * was found, and `Dynamic` is the name the emulator's fixed interface (hunting/api.ts) names. */
export const API_TYPE_NAMES: Record<KustoType, string> = {
  string: 'String', long: 'Int64', int: 'Int32', real: 'Double', bool: 'Boolean',
  datetime: 'DateTime', timespan: 'TimeSpan', dynamic: 'Dynamic',
};

function cols(spec: string): ColumnDef[] {
  return spec.trim().split(/\s*,\s*/).map((pair) => {
    const [name, type] = pair.split(':');
    return { name, type: type as KustoType };
  });
}

const INITIATING_PROCESS_ACCOUNT = `InitiatingProcessAccountDomain:string, InitiatingProcessAccountName:string,
  InitiatingProcessAccountSid:string, InitiatingProcessAccountUpn:string, InitiatingProcessAccountObjectId:string`;
const INITIATING_PROCESS_VERSION = `InitiatingProcessVersionInfoCompanyName:string, InitiatingProcessVersionInfoProductName:string,
  InitiatingProcessVersionInfoProductVersion:string, InitiatingProcessVersionInfoInternalFileName:string,
  InitiatingProcessVersionInfoOriginalFileName:string, InitiatingProcessVersionInfoFileDescription:string`;
const REMOTE_SESSION = `InitiatingProcessSessionId:long, IsInitiatingProcessRemoteSession:bool,
  InitiatingProcessRemoteSessionDeviceName:string, InitiatingProcessRemoteSessionIP:string`;

export const TABLES: Record<string, ColumnDef[]> = {
  DeviceInfo: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ClientVersion:string, PublicIP:string,
    OSArchitecture:string, OSPlatform:string, OSBuild:long, IsAzureADJoined:bool, JoinType:string, AadDeviceId:string,
    LoggedOnUsers:string, RegistryDeviceTag:string, OSVersion:string, MachineGroup:string, ReportId:long,
    OnboardingStatus:string, AdditionalFields:string, DeviceCategory:string, DeviceType:string, DeviceSubtype:string,
    Model:string, Vendor:string, OSDistribution:string, OSVersionInfo:string, MergedDeviceIds:string,
    MergedToDeviceId:string, IsInternetFacing:bool, SensorHealthState:string, IsExcluded:bool, ExclusionReason:string,
    ExposureLevel:string, AssetValue:string, DeviceManualTags:string, DeviceDynamicTags:string, ConnectivityType:string,
    HostDeviceId:string`),

  DeviceProcessEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, FileName:string,
    FolderPath:string, SHA1:string, SHA256:string, MD5:string, FileSize:long, ProcessVersionInfoCompanyName:string,
    ProcessVersionInfoProductName:string, ProcessVersionInfoProductVersion:string, ProcessVersionInfoInternalFileName:string,
    ProcessVersionInfoOriginalFileName:string, ProcessVersionInfoFileDescription:string, ProcessId:long,
    ProcessCommandLine:string, ProcessIntegrityLevel:string, ProcessTokenElevation:string, ProcessCreationTime:datetime,
    AccountDomain:string, AccountName:string, AccountSid:string, AccountUpn:string, AccountObjectId:string, LogonId:long,
    ${INITIATING_PROCESS_ACCOUNT}, InitiatingProcessLogonId:long, InitiatingProcessIntegrityLevel:string,
    InitiatingProcessTokenElevation:string, InitiatingProcessSHA1:string, InitiatingProcessSHA256:string,
    InitiatingProcessMD5:string, InitiatingProcessFileName:string, InitiatingProcessFileSize:long,
    ${INITIATING_PROCESS_VERSION}, InitiatingProcessId:long, InitiatingProcessCommandLine:string,
    InitiatingProcessCreationTime:datetime, InitiatingProcessFolderPath:string, InitiatingProcessParentId:long,
    InitiatingProcessParentFileName:string, InitiatingProcessParentCreationTime:datetime,
    InitiatingProcessSignerType:string, InitiatingProcessSignatureStatus:string, ReportId:long,
    AppGuardContainerId:string, AdditionalFields:string`),

  DeviceNetworkEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, RemoteIP:string,
    RemotePort:int, RemoteUrl:string, LocalIP:string, LocalPort:int, Protocol:string, LocalIPType:string,
    RemoteIPType:string, InitiatingProcessSHA1:string, InitiatingProcessSHA256:string, InitiatingProcessMD5:string,
    InitiatingProcessFileName:string, InitiatingProcessFileSize:long, ${INITIATING_PROCESS_VERSION},
    InitiatingProcessId:long, InitiatingProcessCommandLine:string, InitiatingProcessCreationTime:datetime,
    InitiatingProcessFolderPath:string, InitiatingProcessParentFileName:string, InitiatingProcessParentId:long,
    InitiatingProcessParentCreationTime:datetime, ${INITIATING_PROCESS_ACCOUNT}, InitiatingProcessIntegrityLevel:string,
    InitiatingProcessTokenElevation:string, ReportId:long, AppGuardContainerId:string, AdditionalFields:string,
    ${REMOTE_SESSION}`),

  DeviceFileEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, FileName:string,
    FolderPath:string, SHA1:string, SHA256:string, MD5:string, FileOriginUrl:string, FileOriginReferrerUrl:string,
    FileOriginIP:string, PreviousFolderPath:string, PreviousFileName:string, FileSize:long, ${INITIATING_PROCESS_ACCOUNT},
    InitiatingProcessMD5:string, InitiatingProcessSHA1:string, InitiatingProcessSHA256:string,
    InitiatingProcessFolderPath:string, InitiatingProcessFileName:string, InitiatingProcessFileSize:long,
    ${INITIATING_PROCESS_VERSION}, InitiatingProcessId:long, InitiatingProcessCommandLine:string,
    InitiatingProcessCreationTime:datetime, InitiatingProcessIntegrityLevel:string, InitiatingProcessTokenElevation:string,
    InitiatingProcessParentId:long, InitiatingProcessParentFileName:string, InitiatingProcessParentCreationTime:datetime,
    RequestProtocol:string, RequestSourceIP:string, RequestSourcePort:int, RequestAccountName:string,
    RequestAccountDomain:string, RequestAccountSid:string, ShareName:string, SensitivityLabel:string,
    SensitivitySubLabel:string, IsAzureInfoProtectionApplied:bool, ReportId:long, AppGuardContainerId:string,
    AdditionalFields:string, ${REMOTE_SESSION}`),

  DeviceLogonEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, LogonType:string,
    AccountDomain:string, AccountName:string, AccountSid:string, Protocol:string, FailureReason:string, IsLocalAdmin:bool,
    LogonId:long, RemoteDeviceName:string, RemoteIP:string, RemoteIPType:string, RemotePort:int,
    ${INITIATING_PROCESS_ACCOUNT}, InitiatingProcessIntegrityLevel:string, InitiatingProcessTokenElevation:string,
    InitiatingProcessSHA1:string, InitiatingProcessSHA256:string, InitiatingProcessMD5:string,
    InitiatingProcessFileName:string, InitiatingProcessFileSize:long, ${INITIATING_PROCESS_VERSION},
    InitiatingProcessId:long, InitiatingProcessCommandLine:string, InitiatingProcessCreationTime:datetime,
    InitiatingProcessFolderPath:string, InitiatingProcessParentId:long, InitiatingProcessParentFileName:string,
    InitiatingProcessParentCreationTime:datetime, ReportId:long, AppGuardContainerId:string, AdditionalFields:string,
    ${REMOTE_SESSION}`),

  EmailEvents: cols(`Timestamp:datetime, NetworkMessageId:string, InternetMessageId:string, SenderMailFromAddress:string,
    SenderFromAddress:string, SenderDisplayName:string, SenderObjectId:string, SenderMailFromDomain:string,
    SenderFromDomain:string, SenderIPv4:string, SenderIPv6:string, RecipientEmailAddress:string, RecipientObjectId:string,
    Subject:string, EmailClusterId:long, EmailDirection:string, DeliveryAction:string, DeliveryLocation:string,
    ThreatTypes:string, ThreatNames:string, DetectionMethods:string, ConfidenceLevel:string, BulkComplaintLevel:int,
    EmailAction:string, EmailActionPolicy:string, EmailActionPolicyGuid:string, AuthenticationDetails:string,
    AttachmentCount:int, UrlCount:int, EmailLanguage:string, Connectors:string, OrgLevelAction:string,
    OrgLevelPolicy:string, UserLevelAction:string, UserLevelPolicy:string, ReportId:string, AdditionalFields:string,
    LatestDeliveryLocation:string, LatestDeliveryAction:string`),

  EmailUrlInfo: cols(`Timestamp:datetime, NetworkMessageId:string, Url:string, UrlDomain:string, UrlLocation:string,
    ReportId:string`),

  UrlClickEvents: cols(`Timestamp:datetime, Url:string, ActionType:string, AccountUpn:string, Workload:string,
    NetworkMessageId:string, ThreatTypes:string, DetectionMethods:string, IPAddress:string, IsClickedThrough:bool,
    UrlChain:string, ReportId:string`),

  IdentityLogonEvents: cols(`Timestamp:datetime, ActionType:string, Application:string, LogonType:string, Protocol:string,
    FailureReason:string, AccountName:string, AccountDomain:string, AccountUpn:string, AccountSid:string,
    AccountObjectId:string, AccountDisplayName:string, DeviceName:string, DeviceType:string, OSPlatform:string,
    IPAddress:string, Port:int, DestinationDeviceName:string, DestinationIPAddress:string, DestinationPort:int,
    TargetDeviceName:string, TargetAccountDisplayName:string, Location:string, Isp:string, ReportId:string,
    AdditionalFields:dynamic`),

  AlertInfo: cols(`Timestamp:datetime, AlertId:string, Title:string, Category:string, Severity:string,
    ServiceSource:string, DetectionSource:string, AttackTechniques:string`),

  AlertEvidence: cols(`Timestamp:datetime, AlertId:string, Title:string, Categories:string, AttackTechniques:string,
    ServiceSource:string, DetectionSource:string, EntityType:string, EvidenceRole:string, EvidenceDirection:string,
    FileName:string, FolderPath:string, SHA1:string, SHA256:string, FileSize:long, ThreatFamily:string, RemoteIP:string,
    RemoteUrl:string, AccountName:string, AccountDomain:string, AccountSid:string, AccountObjectId:string,
    AccountUpn:string, DeviceId:string, DeviceName:string, LocalIP:string, NetworkMessageId:string, EmailSubject:string,
    Application:string, ApplicationId:int, OAuthApplicationId:string, ProcessCommandLine:string, RegistryKey:string,
    RegistryValueName:string, RegistryValueData:string, AdditionalFields:string, Severity:string, CloudResource:string,
    CloudPlatform:string, ResourceType:string, ResourceID:string, SubscriptionId:string`),
};
