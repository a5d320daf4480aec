namespace Contiv.Agent.Tests.Integration;

/// <summary>Integration tests start processes and namespaces; they never run in parallel.</summary>
[CollectionDefinition("integration", DisableParallelization = true)]
public sealed class IntegrationCollection;
