namespace Contiv.ApiServer.Resources;

/// <summary>
/// The kinds an installation manifest (deploy/) uses besides workloads: RBAC (<c>rbac.authorization.k8s.io/v1</c>
/// Role, ClusterRole and their bindings), <c>scheduling.k8s.io/v1</c> PriorityClass and <c>policy/v1</c>
/// PodDisruptionBudget. kubectl apply (also with <c>--dry-run=server</c>) and get work on them; the lab does not
/// authorize requests, so RBAC objects are stored and validated but not enforced.
/// </summary>
internal static class ClusterSetupResources
{
    /// <summary>The RBAC group.</summary>
    public const string RbacGroup = "rbac.authorization.k8s.io";

    /// <summary>The resource types.</summary>
    public static IReadOnlyList<ResourceType> Types() =>
    [
        new() { Group = RbacGroup, Version = "v1", Kind = "Role", Plural = "roles", Singular = "role", Namespaced = true, AllowCreateOnUpdate = true },
        new() { Group = RbacGroup, Version = "v1", Kind = "ClusterRole", Plural = "clusterroles", Singular = "clusterrole", Namespaced = false, AllowCreateOnUpdate = true },
        new() { Group = RbacGroup, Version = "v1", Kind = "RoleBinding", Plural = "rolebindings", Singular = "rolebinding", Namespaced = true, AllowCreateOnUpdate = true },
        new() { Group = RbacGroup, Version = "v1", Kind = "ClusterRoleBinding", Plural = "clusterrolebindings", Singular = "clusterrolebinding", Namespaced = false, AllowCreateOnUpdate = true },
        new() { Group = "scheduling.k8s.io", Version = "v1", Kind = "PriorityClass", Plural = "priorityclasses", Singular = "priorityclass", Namespaced = false, ShortNames = ["pc"] },
        new() { Group = "policy", Version = "v1", Kind = "PodDisruptionBudget", Plural = "poddisruptionbudgets", Singular = "poddisruptionbudget", Namespaced = true, ShortNames = ["pdb"], HasStatusSubresource = true, HasGeneration = true },
    ];
}
