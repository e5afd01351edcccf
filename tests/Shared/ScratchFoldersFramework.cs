using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Runner.Testing;

/// <summary>
/// xunit's own test framework, plus removing the scratch folders after the assembly's last test and fixture, before
/// xunit reports the assembly finished. (Later, when the framework is disposed or the process exits, is too late: the
/// test host is killed while it deletes.) Every test project names it (tests/Directory.Build.props).
/// </summary>
public sealed class ScratchFoldersFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformation, IMessageSink diagnostics)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformation, diagnostics)
    {
        // async void, as in the executor it extends: xunit waits for the assembly-finished message, not this method.
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new AssemblyRunner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    sealed class AssemblyRunner(ITestAssembly assembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnostics, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(assembly, testCases, diagnostics, executionMessageSink, executionOptions)
    {
        protected override Task BeforeTestAssemblyFinishedAsync()
        {
            ScratchFolders.RemoveRun();
            return base.BeforeTestAssemblyFinishedAsync();
        }
    }
}
