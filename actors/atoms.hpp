#pragma once

#include <caf/atom.hpp>

namespace parley {

// Requests to the database pool (persistence/db_worker.hpp lists the
// argument and result types of each).
using login_atom = caf::atom_constant<caf::atom("login")>;
using github_login_atom = caf::atom_constant<caf::atom("gh_login")>;
using user_get_atom = caf::atom_constant<caf::atom("user_get")>;
using search_atom = caf::atom_constant<caf::atom("search")>;
using conv_new_atom = caf::atom_constant<caf::atom("conv_new")>;
using conv_list_atom = caf::atom_constant<caf::atom("conv_list")>;
using conv_get_atom = caf::atom_constant<caf::atom("conv_get")>;
using other_atom = caf::atom_constant<caf::atom("other")>;
using msg_post_atom = caf::atom_constant<caf::atom("msg_post")>;
using msg_list_atom = caf::atom_constant<caf::atom("msg_list")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using health_atom = caf::atom_constant<caf::atom("health")>;

// Live delivery.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

} // namespace parley
