using System.Text.Json.Nodes;
using Contiv.ApiServer.Resources;

namespace Contiv.ApiServer.Registry.Strategies;

/// <summary>
/// Roles, ClusterRoles and their bindings (rbac.authorization.k8s.io/v1), validated and defaulted as kube-apiserver
/// does: every rule names verbs and either API groups + resources or (ClusterRoles only) non-resource URLs; a
/// binding's <c>roleRef</c> is required, defaults its apiGroup and is immutable; subjects name their kind, and a
/// ClusterRoleBinding's ServiceAccount subject its namespace. Nothing is enforced: the lab does not authorize.
/// </summary>
internal sealed class RbacStrategy : IResourceStrategy
{
    /// <inheritdoc />
    public void PrepareForCreate(ResourceType type, JsonObject obj, bool dryRun) => DefaultAndValidate(type, obj);

    /// <inheritdoc />
    public void PrepareForUpdate(ResourceType type, JsonObject next, JsonObject old, bool dryRun)
    {
        DefaultAndValidate(type, next);
        if (type.Kind is "RoleBinding" or "ClusterRoleBinding" && !Json.DeepEquals(next["roleRef"], old["roleRef"]))
        {
            throw Invalid(type, next, "roleRef", "FieldValueInvalid", "cannot change roleRef");
        }
    }

    private static void DefaultAndValidate(ResourceType type, JsonObject obj)
    {
        switch (type.Kind)
        {
            case "Role":
            case "ClusterRole":
                ValidateRules(type, obj);
                break;
            default:
                DefaultAndValidateBinding(type, obj);
                break;
        }
    }

    private static void ValidateRules(ResourceType type, JsonObject obj)
    {
        // An aggregated ClusterRole gets its rules from the roles it selects; it may list none itself.
        var rules = obj["rules"] as JsonArray ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var field = $"rules[{i}]";
            if (rules[i] is not JsonObject rule)
            {
                throw Invalid(type, obj, field, "FieldValueInvalid", "must be an object");
            }

            if (Count(rule, "verbs") == 0)
            {
                throw Invalid(type, obj, field + ".verbs", "FieldValueRequired", "Required value: verbs must contain at least one value");
            }

            var urls = Count(rule, "nonResourceURLs");
            if (urls > 0)
            {
                if (type.Kind == "Role")
                {
                    throw Invalid(type, obj, field + ".nonResourceURLs", "FieldValueInvalid", "Invalid value: namespaced rules cannot apply to non-resource URLs");
                }

                if (Count(rule, "apiGroups") > 0 || Count(rule, "resources") > 0 || Count(rule, "resourceNames") > 0)
                {
                    throw Invalid(type, obj, field + ".nonResourceURLs", "FieldValueInvalid", "Invalid value: rules cannot apply to both regular resources and non-resource URLs");
                }

                continue;
            }

            if (Count(rule, "apiGroups") == 0)
            {
                throw Invalid(type, obj, field + ".apiGroups", "FieldValueRequired", "Required value: resource rules must supply at least one api group");
            }

            if (Count(rule, "resources") == 0)
            {
                throw Invalid(type, obj, field + ".resources", "FieldValueRequired", "Required value: resource rules must supply at least one resource");
            }
        }
    }

    private static void DefaultAndValidateBinding(ResourceType type, JsonObject obj)
    {
        if (obj["roleRef"] is not JsonObject roleRef)
        {
            throw Invalid(type, obj, "roleRef", "FieldValueRequired", "Required value");
        }

        if (string.IsNullOrEmpty(Json.Str(roleRef, "apiGroup")))
        {
            roleRef["apiGroup"] = ClusterSetupResources.RbacGroup;
        }

        if (Json.Str(roleRef, "apiGroup") != ClusterSetupResources.RbacGroup)
        {
            throw Invalid(type, obj, "roleRef.apiGroup", "FieldValueNotSupported", $"Unsupported value: \"{Json.Str(roleRef, "apiGroup")}\": supported values: \"{ClusterSetupResources.RbacGroup}\"");
        }

        var kinds = type.Kind == "RoleBinding" ? new[] { "Role", "ClusterRole" } : ["ClusterRole"];
        var kind = Json.Str(roleRef, "kind") ?? string.Empty;
        if (!kinds.Contains(kind, StringComparer.Ordinal))
        {
            throw Invalid(type, obj, "roleRef.kind", "FieldValueNotSupported", $"Unsupported value: \"{kind}\": supported values: {string.Join(", ", kinds.Select(k => $"\"{k}\""))}");
        }

        if (string.IsNullOrEmpty(Json.Str(roleRef, "name")))
        {
            throw Invalid(type, obj, "roleRef.name", "FieldValueRequired", "Required value");
        }

        var subjects = obj["subjects"] as JsonArray ?? [];
        for (var i = 0; i < subjects.Count; i++)
        {
            var field = $"subjects[{i}]";
            if (subjects[i] is not JsonObject subject)
            {
                throw Invalid(type, obj, field, "FieldValueInvalid", "must be an object");
            }

            if (string.IsNullOrEmpty(Json.Str(subject, "name")))
            {
                throw Invalid(type, obj, field + ".name", "FieldValueRequired", "Required value");
            }

            switch (Json.Str(subject, "kind"))
            {
                case "ServiceAccount":
                    // A RoleBinding's subject without a namespace means the binding's own; a ClusterRoleBinding has none.
                    if (type.Kind == "ClusterRoleBinding" && string.IsNullOrEmpty(Json.Str(subject, "namespace")))
                    {
                        throw Invalid(type, obj, field + ".namespace", "FieldValueRequired", "Required value");
                    }

                    break;
                case "User":
                case "Group":
                    if (string.IsNullOrEmpty(Json.Str(subject, "apiGroup")))
                    {
                        subject["apiGroup"] = ClusterSetupResources.RbacGroup;
                    }

                    break;
                default:
                    throw Invalid(type, obj, field + ".kind", "FieldValueNotSupported", $"Unsupported value: \"{Json.Str(subject, "kind")}\": supported values: \"ServiceAccount\", \"User\", \"Group\"");
            }
        }
    }

    private static int Count(JsonObject rule, string field) => (rule[field] as JsonArray)?.Count ?? 0;

    private static ApiException Invalid(ResourceType type, JsonObject obj, string field, string reason, string detail)
        => ApiException.Invalid(type.Kind, Json.Str(obj, "metadata", "name") ?? string.Empty, field, reason, detail, type.Group);
}
