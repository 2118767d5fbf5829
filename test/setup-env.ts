// Tests are hermetic: no AWS credentials or GitHub context from the machine reaches them.
for (const key of Object.keys(process.env)) {
  if (/^(AWS_|GITHUB_|INPUT_|RUNNER_)/.test(key)) delete process.env[key];
}
