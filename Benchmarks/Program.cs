using QuorumPortal.Benchmarks;

// dotnet run -c Release --project Benchmarks -- <name> [--option value ...]
var benchmarks = new Dictionary<string, Func<BenchmarkArgs, Task>>(StringComparer.Ordinal)
{
    ["embedded-writes"] = EmbeddedWritesBenchmark.RunAsync,
    ["embedded-failover"] = EmbeddedFailoverBenchmark.RunAsync,
    ["zk-probe"] = ZooKeeperProbeBenchmark.RunAsync,
    ["zk-failover"] = ZooKeeperFailoverBenchmark.RunAsync,
    ["zk-client"] = ZooKeeperClientBenchmark.RunAsync,
    ["expand"] = ExpandBenchmark.RunAsync,
    ["ui-latency"] = UiLatencyBenchmark.RunAsync,
    ["circuits"] = CircuitsBenchmark.RunAsync,
    ["hub-fanout"] = HubFanoutBenchmark.RunAsync,
    ["zk-workload"] = ZooKeeperWorkloadBenchmark.RunAsync,
    ["embedded-client-faults"] = EmbeddedClientFaultsBenchmark.RunAsync,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Benchmarks <{string.Join('|', benchmarks.Keys)}> [--option value ...]");
    return 2;
}

await run(BenchmarkArgs.Parse(args[1..]));
return 0;
