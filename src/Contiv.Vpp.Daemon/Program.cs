// Placeholder entry point until the component's issue lands.
Console.Error.WriteLine("contiv-vpp: not implemented yet");
return 1;
