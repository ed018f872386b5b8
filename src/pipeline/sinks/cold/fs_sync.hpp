#pragma once
// Directory durability for the cold path's files (objects and intent logs).
#include <string>
#include <string_view>

namespace ebap::pipeline {

// fsync(2) of the directory (its entries: new names, renames), or with whole_fs
// syncfs(2) of the filesystem holding it (every file and directory written there).
// Throws ebap::Error "<context>: cannot fsync directory <dir>: <reason>".
void sync_dir(const std::string& dir, bool whole_fs, std::string_view context);

} // namespace ebap::pipeline
