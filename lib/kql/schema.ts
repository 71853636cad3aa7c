// The advanced hunting schema lib/kql knows: every table of reference defender-api.md §4 with its columns and Kusto
// types, from Microsoft's schema reference pages (MicrosoftDocs/defender-docs, defender-xdr/advanced-hunting-<table>-
// table.md, the "Column name | Data type" table). The eleven tables the emulator serves are the same text as
// test/emulator/hunting/schema.ts (lib/ may not import the emulator; a unit test checks they agree); DeviceNetworkInfo,
// DeviceEvents, DeviceRegistryEvents, DeviceImageLoadEvents, EmailAttachmentInfo (stored versions 006b8a9/0f230b8),
// IdentityInfo (0ad90e3; the Sentinel-only UEBA columns left out) and CloudAppEvents (12e2682) are added here.
// `boolean` in the docs is `bool` here.

export type KustoType = 'string' | 'long' | 'int' | 'real' | 'bool' | 'datetime' | 'timespan' | 'dynamic';

export interface ColumnDef { name: string; type: KustoType }

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

/** table -> its columns, in Microsoft's order, with their Kusto types */
export const HUNTING_SCHEMA: Readonly<Record<string, readonly ColumnDef[]>> = {
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

  DeviceNetworkInfo: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, NetworkAdapterName:string,
    MacAddress:string, NetworkAdapterType:string, NetworkAdapterStatus:string, TunnelType:string, ConnectedNetworks:string,
    DnsAddresses:string, IPv4Dhcp:string, IPv6Dhcp:string, DefaultGateways:string, IPAddresses:string, ReportId:long,
    NetworkAdapterVendor:string`),

  DeviceEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, FileName:string,
    FolderPath:string, SHA1:string, SHA256:string, MD5:string, FileSize:long, AccountDomain:string, AccountName:string,
    AccountSid:string, RemoteUrl:string, RemoteDeviceName:string, ProcessId:long, ProcessCommandLine:string,
    ProcessCreationTime:datetime, ProcessTokenElevation:string, LogonId:long, RegistryKey:string, RegistryValueName:string,
    RegistryValueData:string, RemoteIP:string, RemotePort:int, LocalIP:string, LocalPort:int, FileOriginUrl:string,
    FileOriginIP:string, InitiatingProcessSHA1:string, InitiatingProcessSHA256:string, InitiatingProcessMD5:string,
    InitiatingProcessFileName:string, InitiatingProcessFileSize:long, InitiatingProcessFolderPath:string,
    InitiatingProcessId:long, InitiatingProcessCommandLine:string, InitiatingProcessCreationTime:datetime,
    ${INITIATING_PROCESS_ACCOUNT}, ${INITIATING_PROCESS_VERSION}, InitiatingProcessParentId:long,
    InitiatingProcessParentFileName:string, InitiatingProcessParentCreationTime:datetime, InitiatingProcessLogonId:long,
    ReportId:long, AppGuardContainerId:string, AdditionalFields:string, ${REMOTE_SESSION}, CreatedProcessSessionId:long,
    IsProcessRemoteSession:bool, ProcessRemoteSessionDeviceName:string, ProcessRemoteSessionIP:string`),

  DeviceRegistryEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, RegistryKey:string,
    RegistryValueType:string, RegistryValueName:string, RegistryValueData:string, PreviousRegistryKey:string,
    PreviousRegistryValueName:string, PreviousRegistryValueData:string, ${INITIATING_PROCESS_ACCOUNT},
    InitiatingProcessSHA1:string, InitiatingProcessSHA256:string, InitiatingProcessMD5:string,
    InitiatingProcessFileName:string, InitiatingProcessFileSize:long, ${INITIATING_PROCESS_VERSION},
    InitiatingProcessId:long, InitiatingProcessCommandLine:string, InitiatingProcessCreationTime:datetime,
    InitiatingProcessFolderPath:string, InitiatingProcessParentId:long, InitiatingProcessParentFileName:string,
    InitiatingProcessParentCreationTime:datetime, InitiatingProcessIntegrityLevel:string,
    InitiatingProcessTokenElevation:string, ReportId:long, AppGuardContainerId:string, ${REMOTE_SESSION}`),

  DeviceImageLoadEvents: cols(`Timestamp:datetime, DeviceId:string, DeviceName:string, ActionType:string, FileName:string,
    FolderPath:string, SHA1:string, SHA256:string, MD5:string, FileSize:long, ${INITIATING_PROCESS_ACCOUNT},
    InitiatingProcessIntegrityLevel:string, InitiatingProcessTokenElevation:string, InitiatingProcessSHA1:string,
    InitiatingProcessSHA256:string, InitiatingProcessMD5:string, InitiatingProcessFileName:string,
    InitiatingProcessFileSize:long, ${INITIATING_PROCESS_VERSION}, InitiatingProcessId:long,
    InitiatingProcessCommandLine:string, InitiatingProcessCreationTime:datetime, InitiatingProcessFolderPath:string,
    InitiatingProcessParentId:long, InitiatingProcessParentFileName:string, InitiatingProcessParentCreationTime:datetime,
    ReportId:long, AppGuardContainerId:string`),

  EmailAttachmentInfo: cols(`Timestamp:datetime, NetworkMessageId:string, SenderFromAddress:string,
    SenderDisplayName:string, SenderObjectId:string, RecipientEmailAddress:string, RecipientObjectId:string,
    FileName:string, FileType:string, SHA256:string, FileSize:long, ThreatTypes:string, ThreatNames:string,
    DetectionMethods:string, ReportId:string`),

  IdentityInfo: cols(`Timestamp:datetime, ReportId:string, AccountObjectId:string, AccountUpn:string, OnPremSid:string,
    AccountDisplayName:string, AccountName:string, AccountDomain:string, CriticalityLevel:int, Type:string,
    DistinguishedName:string, CloudSid:string, GivenName:string, Surname:string, Department:string, JobTitle:string,
    EmailAddress:string, SipProxyAddress:string, Address:string, City:string, Country:string, IsAccountEnabled:bool,
    Manager:string, Phone:string, CreatedDateTime:datetime, ChangeSource:string, RiskLevel:string,
    RiskLevelDetails:string, Tags:dynamic, AssignedRoles:dynamic, PrivilegedEntraPimRoles:dynamic, TenantId:string,
    SourceSystem:string, OnPremObjectId:string, TenantMembershipType:string, RiskStatus:string,
    UserAccountControl:string, IdentityEnvironment:string, SourceProviders:dynamic`),

  CloudAppEvents: cols(`Timestamp:datetime, ActionType:string, Application:string, ApplicationId:int, AppInstanceId:int,
    AccountObjectId:string, AccountId:string, AccountDisplayName:string, IsAdminOperation:bool, DeviceType:string,
    OSPlatform:string, IPAddress:string, IsAnonymousProxy:bool, CountryCode:string, City:string, Isp:string,
    UserAgent:string, ActivityType:string, ActivityObjects:dynamic, ObjectName:string, ObjectType:string,
    ObjectId:string, ReportId:string, AccountType:string, IsExternalUser:bool, IsImpersonated:bool, IPTags:dynamic,
    IPCategory:string, UserAgentTags:dynamic, RawEventData:dynamic, AdditionalFields:dynamic, LastSeenForUser:dynamic,
    UncommonForUser:dynamic, AuditSource:string, SessionData:dynamic, OAuthAppId:string`),
};
