using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ClaudeSessionSidecar.Benchmarks.HotPaths).Assembly).Run(args);
