namespace Contiv.Ui.Feed;

/// <summary>One change the page should react to: <paramref name="Kind"/> is the resource (<c>pods</c>, <c>nodes</c>, …),
/// <paramref name="Type"/> the watch event (<c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c>) or <c>RESYNC</c> after a re-list.</summary>
internal sealed record KubeChange(string Kind, string Type, string? Namespace, string? Name);
