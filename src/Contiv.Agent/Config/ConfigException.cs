namespace Contiv.Agent.Config;

/// <summary>Invalid configuration; the message names the key and the bad value.</summary>
internal sealed class ConfigException(string message) : Exception(message);
