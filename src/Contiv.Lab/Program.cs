// Placeholder entry point until the component's issue lands.
Console.Error.WriteLine("contiv-lab: not implemented yet");
return 1;
